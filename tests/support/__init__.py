"""What several test files share: the driver that speaks to Baara as Africa's Talking does."""
