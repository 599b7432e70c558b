"""Live session rooms for online attendees: stream link, presence, chat, Q&A, polls."""
