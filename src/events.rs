//! Stage `events` (under construction).
