"""Worker fleets seen from /proc: the process table, pools (master + children), their memory, orphans."""
