"""/proc/PID/net/udp parsing: a datagram server's unconnected socket has no peer, a client's connected one has."""
from forensics.procfs import parse_net_udp

UDP = """   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:14D4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 81234 2 0000000000000000 0
  456: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 81235 2 0000000000000000 0
"""


def test_an_unconnected_socket_has_no_peer_and_a_connected_one_has():
    assert parse_net_udp(UDP) == {81234: ("udp 127.0.0.1:5332", None), 81235: ("udp 127.0.0.1:50000", "127.0.0.1:8080")}
