"""helixrun: the sequencing pipeline workers of a genomics core facility (sample intake from the LIMS, run
status from the sequencers, demultiplexing, alignment, basecalling, genotyping, QC sign-off, result publishing)."""
__version__ = "2.3.0"
