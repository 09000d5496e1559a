//! Stage `eval` (under construction).
