//! Typed events and batch functions end to end: real functions taking
//! `ObjectEvent`, `TimerEvent`, `Messages` and a batch, served on the AWS,
//! FC and SCF emulators with each platform's documented events (the
//! fixtures of `events/tests/fixtures/`), asserting what the platform received.

#![cfg(feature = "events")]

mod batches;
mod platforms;
mod views;
