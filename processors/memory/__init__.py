"""PROFILE_UPDATE: what the child tells the bear about themselves, proposed as facts to keep."""
