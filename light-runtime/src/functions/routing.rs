//! Per invocation: [`Route`], outside every layer and hook, names the
//! function (by path, or by FC's per-request handler header) before anyone
//! looks at the invocation; [`Dispatch`], inside the hooks, calls it.
//!
//! Routing by path: the first segment of the request path is the
//! function's name, and the function sees the rest (`/orders/items/7` →
//! `orders` gets `/items/7`, `/orders` gets `/`; the query is kept), so a
//! function's code is the same whether it is deployed alone or beside
//! others. A request whose path names no function gets `404` with the
//! names the binary has; an invocation with no path (an FC event) gets the
//! error `Runtime.NoSuchFunction`. Both go through the hooks like any
//! other answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use runtime_engine::{Invocation, InvocationError, Lifecycle, Phase, Response};
use tower::{Service, ServiceExt};

use super::selection::{list, Selection, BY_PATH, FC_HANDLER_HEADER};
use super::FunctionService;

/// Why no function serves an invocation; [`Dispatch`] answers with it.
#[derive(Debug, Clone)]
struct Unrouted(String, NoRoute);

#[derive(Debug, Clone, Copy)]
enum NoRoute {
    /// An HTTP request to a path that names no function: `404`.
    Path,
    /// An invocation the deployment's setting cannot place: an error.
    Setting,
}

/// Names each invocation's function before the layers and hooks see it
/// (the outermost service of a several-function pipeline).
#[derive(Debug, Clone)]
pub(crate) struct Route<S> {
    inner: S,
    selection: Arc<Selection>,
    names: Arc<[Arc<str>]>,
}

impl<S> Route<S> {
    pub(crate) fn new(inner: S, selection: Selection, names: Arc<[Arc<str>]>) -> Self {
        Route {
            inner,
            selection: Arc::new(selection),
            names,
        }
    }

    fn route(&self, invocation: &mut Invocation) {
        let header = || invocation.context.platform_headers().get(FC_HANDLER_HEADER);
        match &*self.selection {
            // The function's facts name it already.
            Selection::One(_) => {}
            Selection::FcHeader => match header().map(str::trim) {
                None | Some("" | BY_PATH) => self.by_path(invocation),
                Some(value) => match self.find(value) {
                    Some(name) => {
                        invocation.context.set_handler(name);
                    }
                    None => {
                        let message = format!(
                            "the function's handler setting ({FC_HANDLER_HEADER}: {value}) \
                             names no function in this binary; it has {}. Set the handler to \
                             one of them, or to `*` to route HTTP requests by path",
                            list(&self.names)
                        );
                        unrouted(invocation, message, NoRoute::Setting);
                    }
                },
            },
            Selection::ByPath => self.by_path(invocation),
        }
    }

    fn find(&self, name: &str) -> Option<Arc<str>> {
        self.names.iter().find(|known| ***known == *name).cloned()
    }

    fn by_path(&self, invocation: &mut Invocation) {
        let Some(parts) = invocation.context.http_request() else {
            let message = format!(
                "this binary holds several functions ({}) routed by request path, and this \
                 invocation is an event with no path; name the function in the deployment's \
                 handler setting",
                list(&self.names)
            );
            return unrouted(invocation, message, NoRoute::Setting);
        };
        // FC 2.0 HTTP triggers may add a `/2016-08-15/proxy/<service>/<function>`
        // prefix (unconfirmed, reference 2.6); it is not guessed at here:
        // such a path names no function, and the 404 says which names exist.
        let path = parts.uri.path();
        let (first, rest) = split_first_segment(path);
        let Some(name) = self.find(first) else {
            let message = format!(
                "no function at {path}: the first path segment names the function, and this \
                 binary has {}",
                list(&self.names)
            );
            return unrouted(invocation, message, NoRoute::Path);
        };
        let mut stripped = parts.clone();
        stripped.uri = without_prefix(&parts.uri, rest);
        invocation
            .context
            .extensions_mut()
            .insert(Arc::new(stripped));
        invocation.context.set_handler(name);
    }
}

fn unrouted(invocation: &mut Invocation, message: String, why: NoRoute) {
    invocation
        .context
        .extensions_mut()
        .insert(Unrouted(message, why));
}

/// `/orders/items/7` → (`orders`, `/items/7`); `/orders` → (`orders`, `/`).
fn split_first_segment(path: &str) -> (&str, &str) {
    let path = path.strip_prefix('/').unwrap_or(path);
    match path.find('/') {
        Some(at) => (&path[..at], &path[at..]),
        None => (path, "/"),
    }
}

/// `uri` with its path replaced by `path`, its query kept.
fn without_prefix(uri: &http::Uri, path: &str) -> http::Uri {
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    // A path cut from a valid one at a `/` is valid.
    parts.path_and_query = path_and_query.parse().ok();
    http::Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

impl<S> Service<Invocation> for Route<S>
where
    S: Service<Invocation>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        self.route(&mut invocation);
        self.inner.call(invocation)
    }
}

/// One function of the binary, as [`Dispatch`] calls it.
struct Entry {
    name: Arc<str>,
    /// Its name in the timings, under `Invoke`.
    step: String,
    /// Behind a lock so that the entries can be shared by every clone of
    /// the pipeline whether or not the user's service is `Sync`; held only
    /// to clone it.
    service: Mutex<FunctionService>,
}

/// Calls the function the deployment, or the request's path, named: the
/// handler that the hooks and layers of a several-function binary wrap.
/// Layers written for such a binary are `Layer<HookService<Dispatch>>`.
#[derive(Clone)]
pub struct Dispatch {
    entries: Arc<[Entry]>,
    lifecycle: Arc<Lifecycle>,
}

impl std::fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatch")
            .field(
                "functions",
                &self.entries.iter().map(|e| &*e.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Dispatch {
    pub(crate) fn new(
        functions: Vec<(Arc<str>, FunctionService)>,
        lifecycle: Arc<Lifecycle>,
    ) -> Self {
        let entries = functions
            .into_iter()
            .map(|(name, service)| Entry {
                step: format!("function {name}"),
                name,
                service: Mutex::new(service),
            })
            .collect();
        Dispatch { entries, lifecycle }
    }
}

type DispatchFuture = Pin<Box<dyn Future<Output = Result<Response, InvocationError>> + Send>>;

impl Service<Invocation> for Dispatch {
    type Response = Response;
    type Error = InvocationError;
    type Future = DispatchFuture;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), InvocationError>> {
        // Each function's readiness is awaited in `call`, once it is known.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let chosen = invocation
            .context
            .handler()
            .and_then(|name| self.entries.iter().position(|e| *e.name == *name));
        let Some(index) = chosen else {
            return Box::pin(std::future::ready(no_function(&invocation)));
        };
        let service = self.entries[index]
            .service
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let clock = StepClock {
            entries: self.entries.clone(),
            index,
            lifecycle: self.lifecycle.clone(),
            started: Instant::now(),
        };
        Box::pin(async move {
            let result = service.oneshot(invocation).await;
            drop(clock);
            result
        })
    }
}

/// The answer when no function was named: `404` for an HTTP path that
/// names none, `Runtime.NoSuchFunction` otherwise.
fn no_function(invocation: &Invocation) -> Result<Response, InvocationError> {
    let (message, why) = match invocation.context.extensions().get::<Unrouted>() {
        Some(Unrouted(message, why)) => (message.clone(), *why),
        // `Route` names every invocation or says why not, so only a layer
        // that built a new context loses both.
        None => (
            "the invocation reached the functions without the name of the one to call: a \
             layer or hook replaced its context; pass the context it was given inward"
                .to_owned(),
            NoRoute::Setting,
        ),
    };
    match why {
        NoRoute::Setting => Err(InvocationError::runtime("Runtime.NoSuchFunction", message)),
        NoRoute::Path => {
            // The shape of the push platforms' error bodies.
            let body = serde_json::json!({
                "errorType": "Runtime.NoSuchFunction",
                "errorMessage": message,
                "requestId": invocation.context.request_id(),
            });
            let mut response = http::Response::new(Bytes::from(body.to_string()));
            *response.status_mut() = http::StatusCode::NOT_FOUND;
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            Ok(Response::from_http(response))
        }
    }
}

/// Records a function's time under `Invoke` when its call ends, finished
/// or dropped (a timeout, a shutdown), so the timings name every function.
struct StepClock {
    entries: Arc<[Entry]>,
    index: usize,
    lifecycle: Arc<Lifecycle>,
    started: Instant,
}

impl Drop for StepClock {
    fn drop(&mut self) {
        let elapsed: Duration = self.started.elapsed();
        self.lifecycle
            .record_step(Phase::Invoke, &self.entries[self.index].step, elapsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtime_engine::{Budgets, Context, FunctionInfo, Platform};
    use tower::util::BoxCloneService;

    /// `Route` (by path) straight onto `Dispatch` of one function `a`,
    /// which answers with the path it saw.
    fn routed_a() -> (Route<Dispatch>, Arc<Lifecycle>) {
        let function = FunctionInfo::new(Platform::Local, "f");
        let lifecycle = Arc::new(Lifecycle::new(function, Vec::new(), Budgets::default()));
        let a: FunctionService =
            BoxCloneService::new(tower::service_fn(|invocation: Invocation| async move {
                let path = invocation.context.http_request().map(|p| p.uri.to_string());
                Ok::<_, InvocationError>(Response::json(Bytes::from(path.unwrap_or_default())))
            }));
        let dispatch = Dispatch::new(vec![(Arc::from("a"), a)], lifecycle.clone());
        let names: Arc<[Arc<str>]> = Arc::from(vec![Arc::<str>::from("a")]);
        (Route::new(dispatch, Selection::ByPath, names), lifecycle)
    }

    fn request(lifecycle: &Lifecycle, uri: &str) -> Invocation {
        let request = http::Request::builder()
            .uri(uri)
            .body(Bytes::new())
            .unwrap();
        Invocation::from_http_request(lifecycle.context("r"), request)
    }

    #[tokio::test]
    async fn a_routed_invocation_reaches_its_function_and_a_lost_route_is_explained() {
        let (mut route, lifecycle) = routed_a();
        let response = route.call(request(&lifecycle, "/a/b?c=d")).await.unwrap();
        assert_eq!(response.body().as_ref(), b"/b?c=d");
        assert_eq!(
            lifecycle
                .timings()
                .phase(Phase::Invoke)
                .step("function a")
                .map(|s| s.count),
            Some(1),
            "the function's time is recorded"
        );

        // A context rebuilt past `Route` has neither the name nor the reason.
        let fresh = Context::builder(lifecycle.function().clone(), "r2").build();
        let error = route
            .inner
            .call(Invocation::new(fresh, "{}"))
            .await
            .unwrap_err();
        assert_eq!(error.error_type(), "Runtime.NoSuchFunction");
        assert!(
            error.message().contains("replaced its context"),
            "{error:?}"
        );
    }

    #[test]
    fn the_first_segment_names_the_function_and_the_rest_is_its_path() {
        assert_eq!(
            split_first_segment("/orders/items/7"),
            ("orders", "/items/7")
        );
        assert_eq!(split_first_segment("/orders"), ("orders", "/"));
        assert_eq!(split_first_segment("/orders/"), ("orders", "/"));
        assert_eq!(split_first_segment("/"), ("", "/"));
        let uri: http::Uri = "/orders/items/7?size=2&size=3".parse().unwrap();
        assert_eq!(
            without_prefix(&uri, "/items/7").to_string(),
            "/items/7?size=2&size=3"
        );
        let absolute: http::Uri = "http://example.com/users?x=1".parse().unwrap();
        assert_eq!(
            without_prefix(&absolute, "/").to_string(),
            "http://example.com/?x=1"
        );
    }
}
