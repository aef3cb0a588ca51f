"""lendwell: circulation back office of a public library consortium (loans, holds, self-check kiosks,
interlibrary loan, the catalogue index, RFID gates, fines, inventory scans, the returns sorter)."""
__version__ = "2.3.0"
