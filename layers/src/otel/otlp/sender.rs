//! [`OtlpSender`]: posts one signal's encoded requests where its settings
//! say, on the fast path when they allow it.

#[cfg(feature = "otlp-formats")]
use super::hyper_http::HyperHttp;
use super::plain_http::PlainHttp;
use super::response::PartialSuccess;
use crate::otel::otlp_settings::OtlpSettings;

/// The plain keep-alive client for `http://` + http/protobuf without
/// compression, hyper for everything else.
#[derive(Debug)]
// One per signal, built once: its size does not matter, and boxing the
// plain sender would add a pointer chase to every fast-path export.
#[allow(clippy::large_enum_variant)]
pub(crate) enum OtlpSender {
    /// The fast path: the common set-up, a collector next to the function.
    Plain(PlainHttp),
    /// `https://`, gRPC, gzip or http/json (feature `otlp-formats`).
    #[cfg(feature = "otlp-formats")]
    Hyper(HyperHttp),
}

impl OtlpSender {
    /// A sender for `settings`, or why it cannot send there, naming the
    /// variable at fault.
    pub(crate) fn new(settings: &OtlpSettings) -> Result<Self, String> {
        if settings.is_plain() {
            return PlainHttp::new(&settings.url, &settings.headers)
                .map(OtlpSender::Plain)
                .map_err(|reason| format!("{}: {reason}", settings.url_source));
        }
        #[cfg(feature = "otlp-formats")]
        return HyperHttp::new(settings).map(OtlpSender::Hyper);
        #[cfg(not(feature = "otlp-formats"))]
        Err(settings.needs_formats())
    }

    /// The URL posted to.
    pub(crate) fn url(&self) -> &str {
        match self {
            OtlpSender::Plain(sender) => sender.url(),
            #[cfg(feature = "otlp-formats")]
            OtlpSender::Hyper(sender) => sender.url(),
        }
    }

    /// Posts `body`, an encoded protobuf request; `Err` says why it was not
    /// accepted, `Ok(Some(..))` what the collector accepted but refused.
    pub(crate) async fn post(&self, body: &[u8]) -> Result<Option<PartialSuccess>, String> {
        match self {
            OtlpSender::Plain(sender) => sender.post(body).await,
            #[cfg(feature = "otlp-formats")]
            OtlpSender::Hyper(sender) => sender.post(body).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use runtime_engine::Environment;

    use super::*;
    use crate::otel::otlp_settings::Signal;

    fn sender(vars: &[(&str, &str)]) -> Result<OtlpSender, String> {
        let env = Environment::from_vars(vars.iter().copied());
        OtlpSender::new(&OtlpSettings::read(&env, Signal::Traces).unwrap())
    }

    #[test]
    fn plain_http_protobuf_takes_the_fast_path() {
        let plain = sender(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")]);
        assert!(matches!(plain, Ok(OtlpSender::Plain(_))));
    }

    #[cfg(feature = "otlp-formats")]
    #[test]
    fn anything_else_goes_through_hyper() {
        for vars in [
            [("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
            [("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")],
            [("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")],
        ] {
            assert!(
                matches!(sender(&vars), Ok(OtlpSender::Hyper(_))),
                "{vars:?}"
            );
        }
    }

    #[cfg(not(feature = "otlp-formats"))]
    #[test]
    fn without_the_feature_anything_else_is_an_error_naming_its_variable() {
        let cases = [
            (
                ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: this protocol needs the cargo feature",
            ),
            (
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                "OTEL_EXPORTER_OTLP_COMPRESSION: gzip needs",
            ),
            (
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4318"),
                "OTEL_EXPORTER_OTLP_ENDPOINT: an https:// endpoint needs",
            ),
        ];
        for (var, expected) in cases {
            let error = sender(&[var]).unwrap_err();
            assert!(error.starts_with(expected), "{error}");
        }
    }
}
