//! The only room that touches web-sys: canvas, timers, gestures, the JS API.
