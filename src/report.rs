//! Stage `report` (under construction).
