from tests.security.hostile_peers import make_hostile_peer  # noqa: F401 (fixture)
