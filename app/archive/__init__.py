"""アーカイブ配信: a session's recording for the people registered for it, for a window after it
ended, and the time they spent on its page, measured like presence in the live room (merged
intervals across tabs) but kept apart from live attendance."""
