//! Stage `check` (under construction).
