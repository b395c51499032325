//! The largest response the platform takes whole, so an app's body over it
//! is a clear `Function.ResponseSizeTooLarge` error naming the size and
//! the limit, found before the body is read where the app says its length,
//! and never a truncated body.

use std::fmt;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use light_runtime::{BoxError, Environment, InvocationError, Platform};

/// The error type the platform sees, as Lambda names it.
const ERROR_TYPE: &str = "Function.ResponseSizeTooLarge";

/// Lambda's and SCF's limit for a response answered whole (reference 1.7, 3.6).
const SIX_MB: u64 = 6 * 1024 * 1024;

/// A platform's response size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    bytes: u64,
    platform: Platform,
}

impl Limit {
    /// The limit where the platform takes the response as one payload
    /// (AWS Lambda buffered, SCF events); none where the answer is HTTP
    /// streamed to the client (FC, plain HTTP, SCF web functions, local).
    pub(crate) fn of(platform: Platform, env: &Environment) -> Option<Limit> {
        let pulls = match platform {
            Platform::AwsLambda => true,
            Platform::TencentScf => env.get("SCF_RUNTIME_API").is_some(),
            _ => false,
        };
        pulls.then_some(Limit {
            bytes: SIX_MB,
            platform,
        })
    }

    /// The error for a response of `size` bytes (or more, when unknown).
    fn error(self, size: Option<u64>) -> InvocationError {
        let size = match size {
            Some(size) => format!("{size} bytes"),
            None => format!("more than {} bytes", self.bytes),
        };
        InvocationError::runtime(
            ERROR_TYPE,
            format!(
                "the app's response body of {size} is over the {} bytes (6 MB) {} accepts \
                 for a response; return less, or stream it where the platform allows",
                self.bytes, self.platform
            ),
        )
    }

    /// `Err` when `response` says it is longer than the limit; else its
    /// body, failing with the same error once more than the limit arrived.
    pub(crate) fn check<B>(
        self,
        response: http::Response<B>,
    ) -> Result<http::Response<UnsyncBoxBody<Bytes, BoxError>>, InvocationError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let declared = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.parse::<u64>().ok());
        if let Some(size) = declared.filter(|size| *size > self.bytes) {
            return Err(self.error(Some(size)));
        }
        let limit = usize::try_from(self.bytes).unwrap_or(usize::MAX);
        Ok(response.map(|body| {
            Limited::new(body, limit)
                .map_err(move |error| -> BoxError {
                    if error.is::<LengthLimitError>() {
                        Box::new(self.error(None))
                    } else {
                        error
                    }
                })
                .boxed_unsync()
        }))
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes on {}", self.bytes, self.platform)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    #[tokio::test]
    async fn a_body_over_the_limit_is_an_error_declared_or_not() {
        let env = Environment::from_vars([("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]);
        let limit = Limit::of(Platform::AwsLambda, &env).unwrap();
        let declared = http::Response::builder()
            .header("content-length", "7000000")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let error = limit.check(declared).unwrap_err();
        assert_eq!(error.error_type(), ERROR_TYPE);
        assert!(
            error.message().contains("7000000 bytes"),
            "{}",
            error.message()
        );

        let big = Bytes::from(vec![b'x'; 7 * 1024 * 1024]);
        let undeclared = http::Response::new(Full::new(big));
        let body = limit.check(undeclared).unwrap().into_body();
        let error = body.collect().await.unwrap_err();
        let error = error.downcast::<InvocationError>().unwrap();
        assert!(
            error.message().contains("more than 6291456 bytes"),
            "{}",
            error.message()
        );

        assert_eq!(
            Limit::of(Platform::AliyunFc, &Environment::from_vars([("A", "b")])),
            None
        );
    }
}
