//! Walkthroughs live under examples/.
