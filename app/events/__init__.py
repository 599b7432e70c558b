"""Series (連続講座 / イベント) and their sessions (回): what organisers schedule."""
