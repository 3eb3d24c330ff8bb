"""A whole provider in one test folder ("MinimalBooks"), proving README's "Adding a provider":
its page, API, webhook endpoint and schedule come from the registry alone, with no edit to any
file outside this folder. `test_adding_a_provider.py` registers it the way a registry line
would."""
