"""The watchdog: find stuck workers, capture them before killing, never signal the wrong process.

One job per module: targets (what to watch), heartbeats (reading beats), sampler (/proc without ptrace),
rules (pure: samples + beats + a monotonic now -> detections), policy (capture, then signals, with rate
limits and a breaker), killer (pidfd-checked signals), journal, events, metrics, capture (the one call
into the capture pipeline), watchdog (the scan loop tying them together).
"""
