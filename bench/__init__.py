"""`python -m bench`: the three implementations and two bare baselines under load, with wrk."""
