"""SMS: the vocabulary, the pure parser, the conversation, the inbox, relays and flood control."""
