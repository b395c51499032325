//! One conformance suite, run against every adapter with the same function
//! ([`harness::function`]): echo, handler error, panic, malformed event,
//! timeout, failing FunctionStart, shutdown mid-invocation, hook order,
//! 10,000 invocations with exactly one answer each, and concurrency where
//! the platform allows it. Each platform module also checks every
//! `Context` field against its platform's own headers.
//!
//! Test names are `<platform>::<case>`: `cargo test --test conformance fc::`.

mod cases;
mod harness;

mod aws;
mod fc;
mod http;
mod local;
mod scf;
mod scf_web;

/// The shared cases, as tests of `$target`; `concurrent` adds the
/// concurrency case for platforms that send several invocations at once.
macro_rules! conformance {
    ($target:ty) => {
        #[tokio::test]
        async fn echo() {
            crate::cases::echo::<$target>().await
        }
        #[tokio::test]
        async fn handler_error() {
            crate::cases::handler_error::<$target>().await
        }
        #[tokio::test]
        async fn panic() {
            crate::cases::panic::<$target>().await
        }
        #[tokio::test]
        async fn malformed_event() {
            crate::cases::malformed_event::<$target>().await
        }
        #[tokio::test]
        async fn timeout() {
            crate::cases::timeout::<$target>().await
        }
        #[tokio::test]
        async fn failing_function_start() {
            crate::cases::failing_function_start::<$target>().await
        }
        #[tokio::test]
        async fn shutdown_mid_invocation() {
            crate::cases::shutdown_mid_invocation::<$target>().await
        }
        #[tokio::test]
        async fn hook_order() {
            crate::cases::hook_order::<$target>().await
        }
        #[tokio::test]
        async fn ten_thousand_invocations_one_answer_each() {
            crate::cases::ten_thousand::<$target>().await
        }
    };
    ($target:ty, concurrent) => {
        $crate::conformance!($target);
        #[tokio::test]
        async fn concurrency() {
            crate::cases::concurrency::<$target>().await
        }
    };
}
pub(crate) use conformance;
