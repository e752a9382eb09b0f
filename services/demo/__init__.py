"""The invented demo network: built in memory from the hand-written spec in data/spec, day-independent.

Every entity draws from its own random stream, seeded from its key (``streams.stream``), and its
history is generated to a fixed horizon, then cut at the seed day. So seeding as of a later day
only adds rows dated after the earlier one; everything dated before is identical.
"""
