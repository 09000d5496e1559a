//! Stage `compile` (under construction).
