//! Several functions in one binary, on each platform's emulator: the
//! deployment names the one that serves (AWS `_HANDLER`, FC's handler,
//! `FUNCTION_TARGET`, `LIGHT_RUNTIME_HANDLER`), or the request path routes
//! to each; a name the binary lacks is an init error the platform hears of;
//! hooks, layers and timings name the function.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use light_runtime::engine::{CancellationToken, Ending};
use light_runtime::functions::Functions;
use light_runtime::{
    BoxError, Context, Environment, Error, Flow, FunctionInfo, Hook, HookFuture, Invocation,
    InvocationError, Outcome, Phase, Response, Runtime, RuntimeBuilder, RuntimeError,
    TimingsReport,
};
use light_runtime_testkit::aliyun_fc::FcEmulator;
use light_runtime_testkit::caller::Reply;
use light_runtime_testkit::http_platform::{request, HttpPlatform};
use light_runtime_testkit::lambda::{Event, LambdaEmulator};
use light_runtime_testkit::stop_runtime;
use light_runtime_testkit::tencent_scf::{ScfEmulator, ScfEvent};
use serde_json::{json, Value};
use tokio::task::JoinHandle;
use tower::layer::util::Identity;

const WAIT: Duration = Duration::from_secs(20);
const NAMES: &str = "`orders`, `users`, `health`";

/// `orders`, an event function: says who it is and what it got.
async fn orders(event: Value, ctx: Context) -> Result<Value, Error> {
    Ok(json!({ "function": "orders", "handler": ctx.handler(), "event": event }))
}

/// `users`, an HTTP function: answers `201` with the request it saw.
async fn users(
    request: http::Request<Bytes>,
    ctx: Context,
) -> Result<http::Response<Bytes>, Error> {
    let seen = json!({
        "function": "users",
        "handler": ctx.handler(),
        "method": request.method().as_str(),
        "uri": request.uri().to_string(),
    });
    Ok(http::Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .body(Bytes::from(seen.to_string()))?)
}

/// `health`, a tower service over raw invocations.
fn health() -> impl tower::Service<
    Invocation,
    Response = Response,
    Error = InvocationError,
    Future = impl Send + 'static,
> + Clone
       + Send
       + 'static {
    tower::service_fn(|invocation: Invocation| async move {
        let seen = json!({ "function": "health", "handler": invocation.context.handler() });
        Ok::<_, InvocationError>(Response::json(Bytes::from(seen.to_string())))
    })
}

/// The binary under test: three functions of three kinds.
fn three(env: Vec<(String, String)>) -> RuntimeBuilder<Identity, Functions> {
    Runtime::builder()
        .with_environment(Environment::from_vars(env))
        .function("orders", orders)
        .function("users", users)
        .function("health", health())
}

type Task = JoinHandle<Result<(), RuntimeError>>;

fn spawn(builder: RuntimeBuilder<Identity, Functions>) -> (CancellationToken, Task) {
    let shutdown = CancellationToken::new();
    (shutdown.clone(), tokio::spawn(builder.run_until(shutdown)))
}

fn with(mut env: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

/// The runtime's result when it stops by itself (an init failure).
async fn ended(task: Task) -> Result<(), RuntimeError> {
    tokio::time::timeout(WAIT, task)
        .await
        .expect("the runtime stops by itself")
        .expect("no panic")
}

fn json_of(reply: &Reply) -> Value {
    reply
        .body_json()
        .unwrap_or_else(|| panic!("a JSON body: {reply:?}"))
}

// AWS Lambda: `_HANDLER` picks the function.

fn lambda_env(emulator: &LambdaEmulator, handler: Option<&str>) -> Vec<(String, String)> {
    let mut env = vec![
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), emulator.runtime_api()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "shop".to_owned()),
    ];
    env.extend(handler.map(|h| ("_HANDLER".to_owned(), h.to_owned())));
    env
}

#[tokio::test]
async fn aws_handler_variable_picks_each_function() {
    for name in ["orders", "users", "health"] {
        let emulator = LambdaEmulator::start().await.unwrap();
        let (shutdown, task) = spawn(three(lambda_env(&emulator, Some(name))));
        let id = emulator.push(Event::json(json!({ "id": 7 })));
        let result = emulator.result(&id, WAIT).await.expect("an answer");
        let body = result.body_json().expect("a JSON response");
        assert_eq!(body["function"], name, "{body}");
        assert_eq!(body["handler"], name, "the context names it: {body}");
        assert_eq!(emulator.answers_for(&id), 1);
        stop_runtime(&shutdown, task).await;
    }
}

#[tokio::test]
async fn aws_unknown_handler_is_an_init_error_listing_the_names() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let (_shutdown, task) = spawn(three(lambda_env(&emulator, Some("bootstrap"))));
    let error = ended(task).await.expect_err("init fails");
    assert_eq!(error.init_phase(), Some(Phase::RuntimeStart));
    let init = emulator
        .wait_init_error(WAIT)
        .await
        .expect("init/error posted");
    let body = init.body_json().unwrap();
    assert_eq!(body["errorType"], "Runtime.InitError");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("_HANDLER=\"bootstrap\" names no function in this binary"),
        "{message}"
    );
    assert!(message.contains(NAMES), "{message}");
    assert_eq!(
        emulator.count("/invocation/next"),
        0,
        "no event is asked for"
    );
}

#[tokio::test]
async fn aws_without_a_handler_cannot_choose_and_says_what_to_set() {
    let emulator = LambdaEmulator::start().await.unwrap();
    let (_shutdown, task) = spawn(three(lambda_env(&emulator, None)));
    assert!(ended(task).await.unwrap_err().is_init());
    let init = emulator.wait_init_error(WAIT).await.expect("init/error");
    let message = init.body_json().unwrap()["errorMessage"].to_string();
    assert!(message.contains("set _HANDLER"), "{message}");
    assert!(message.contains(NAMES), "{message}");
}

// Tencent SCF event functions: `_HANDLER`.

#[tokio::test]
async fn scf_handler_variable_picks_the_function_and_an_unknown_one_stops_init() {
    let scf = ScfEmulator::start().await.unwrap();
    let (shutdown, task) = spawn(three(with(scf.env(), &[("_HANDLER", "health")])));
    let id = scf.push(ScfEvent::json(json!({ "id": 9 })));
    let result = scf.result(&id, WAIT).await.expect("an answer");
    let body = result.body_json().expect("a JSON response");
    assert_eq!(body["function"], "health", "{body}");
    stop_runtime(&shutdown, task).await;

    // SCF documents no init-error call (reference 3.2): the runtime exits
    // non-zero before `init/ready`, and the platform sees the process end.
    let scf = ScfEmulator::start().await.unwrap();
    let (_shutdown, task) = spawn(three(with(
        scf.env(),
        &[("_HANDLER", "index.main_handler")],
    )));
    let message = ended(task).await.unwrap_err().to_string();
    assert!(
        message.contains("_HANDLER=\"index.main_handler\""),
        "{message}"
    );
    assert!(message.contains(NAMES), "{message}");
    assert!(!scf.is_ready(), "init/ready is never posted");
}

// Alibaba FC: `FC_FUNCTION_HANDLER` (FC 3.0), else each request's
// `x-fc-function-handler` (FC 2.0), `*` routing by path.

async fn fc_with(
    env: &[(&str, &str)],
    handler_header: &str,
) -> (FcEmulator, CancellationToken, Task) {
    let fc = FcEmulator::builder()
        .function_name("shop")
        .header("x-fc-function-handler", handler_header)
        .start()
        .unwrap();
    let (shutdown, task) = spawn(three(with(fc.env(), env)));
    assert!(fc.wait_ready(WAIT).await, "the server listens");
    assert_eq!(fc.initialize().await.unwrap().status, 200);
    (fc, shutdown, task)
}

#[tokio::test]
async fn fc_handler_variable_picks_the_function() {
    let (fc, shutdown, task) = fc_with(&[("FC_FUNCTION_HANDLER", "orders")], "orders").await;
    let reply = fc.invoke(&br#"{"id":3}"#[..]).await.unwrap();
    assert_eq!(reply.header("x-fc-status"), Some("200"), "{reply:?}");
    let body = json_of(&reply);
    assert_eq!(
        (body["function"].as_str(), body["handler"].as_str()),
        (Some("orders"), Some("orders"))
    );
    assert_eq!(body["event"], json!({"id": 3}));
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn fc_handler_header_picks_per_request_and_star_routes_by_path() {
    // FC's default handler setting names no function: each request fails,
    // saying so, with FC's failure status.
    let (fc, shutdown, task) = fc_with(&[], "index.handler").await;
    let reply = fc.invoke(&b"{}"[..]).await.unwrap();
    assert_eq!(
        (reply.status, reply.header("x-fc-status")),
        (404, Some("404"))
    );
    let body = json_of(&reply);
    assert_eq!(body["errorType"], "Runtime.NoSuchFunction");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("x-fc-function-handler: index.handler"),
        "{message}"
    );
    assert!(message.contains(NAMES), "{message}");

    let reply = fc
        .send(
            fc.event(&br#"{"id":1}"#[..])
                .header("x-fc-function-handler", "health"),
        )
        .await
        .unwrap();
    assert_eq!(json_of(&reply)["function"], "health");

    // `*`: an HTTP trigger's path names the function, which sees the rest.
    let star = fc
        .request(
            Method::GET,
            "/users/42?size=2",
            "/http-invoke",
            Bytes::new(),
        )
        .header("x-fc-function-handler", "*");
    let reply = fc.send(star).await.unwrap();
    assert_eq!(reply.status, 201, "{reply:?}");
    let body = json_of(&reply);
    assert_eq!(body["uri"], "/42?size=2");
    assert_eq!(body["handler"], "users");
    // ... and an event, which has no path, cannot be placed.
    let event = fc.event(&b"{}"[..]).header("x-fc-function-handler", "*");
    let body = json_of(&fc.send(event).await.unwrap());
    assert_eq!(body["errorType"], "Runtime.NoSuchFunction");
    assert!(
        body["errorMessage"].as_str().unwrap().contains("no path"),
        "{body}"
    );
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn fc_unknown_handler_variable_stops_before_listening() {
    let fc = FcEmulator::builder().start().unwrap();
    let env = with(fc.env(), &[("FC_FUNCTION_HANDLER", "index.handler")]);
    let (_shutdown, task) = spawn(three(env));
    let error = ended(task).await.expect_err("init fails");
    assert_eq!(error.init_phase(), Some(Phase::RuntimeStart));
    let message = error.to_string();
    assert!(
        message.contains("FC_FUNCTION_HANDLER=\"index.handler\""),
        "{message}"
    );
    assert!(
        message.contains("or to `*` to route requests by path"),
        "{message}"
    );
    assert!(message.contains(NAMES), "{message}");
}

// Plain HTTP: `FUNCTION_TARGET`, else routing by path.

async fn http_with(env: &[(&str, &str)]) -> (HttpPlatform, CancellationToken, Task) {
    let platform = HttpPlatform::knative().unwrap();
    let (shutdown, task) = spawn(three(with(platform.env(), env)));
    assert!(platform.wait_ready(WAIT).await, "the server listens");
    (platform, shutdown, task)
}

fn get(uri: &str) -> http::Request<Bytes> {
    request(Method::GET, uri, &[], Bytes::new())
}

fn post_json(uri: &str, body: &str) -> http::Request<Bytes> {
    request(
        Method::POST,
        uri,
        &[("content-type", "application/json")],
        Bytes::from(body.to_owned()),
    )
}

#[tokio::test]
async fn http_function_target_serves_one_function_on_every_path() {
    let (platform, shutdown, task) = http_with(&[("FUNCTION_TARGET", "users")]).await;
    let reply = platform.send(get("/orders/7?x=1")).await.unwrap();
    assert_eq!(reply.status, 201);
    let body = json_of(&reply);
    assert_eq!(body["handler"], "users");
    assert_eq!(
        body["uri"], "/orders/7?x=1",
        "a named function keeps its path"
    );
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn http_paths_route_to_every_function_at_once() {
    let (platform, shutdown, task) = http_with(&[]).await;
    let reply = platform
        .send(post_json("/orders", r#"{"id":1}"#))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let body = json_of(&reply);
    assert_eq!(
        (body["function"].as_str(), body["handler"].as_str()),
        (Some("orders"), Some("orders"))
    );
    assert_eq!(body["event"], json!({"id": 1}));

    let reply = platform.send(get("/users/42?size=2&size=3")).await.unwrap();
    assert_eq!(reply.status, 201);
    let body = json_of(&reply);
    assert_eq!(
        body["uri"], "/42?size=2&size=3",
        "the function sees its own path"
    );
    assert_eq!(body["method"], "GET");

    let reply = platform.send(post_json("/health/", "{}")).await.unwrap();
    assert_eq!(json_of(&reply)["function"], "health");

    for path in ["/nobody/1", "/", "/Orders"] {
        let reply = platform.send(get(path)).await.unwrap();
        assert_eq!(reply.status, 404, "{path}: {reply:?}");
        let body = json_of(&reply);
        assert_eq!(body["errorType"], "Runtime.NoSuchFunction");
        assert!(body["requestId"]
            .as_str()
            .is_some_and(|id| id.starts_with("http-")));
        let message = body["errorMessage"].as_str().unwrap();
        assert!(
            message.contains(&format!("no function at {path}")),
            "{message}"
        );
        assert!(message.contains(NAMES), "{message}");
    }
    stop_runtime(&shutdown, task).await;
}

#[tokio::test]
async fn http_unknown_function_target_is_an_init_error() {
    let platform = HttpPlatform::knative().unwrap();
    let env = with(platform.env(), &[("FUNCTION_TARGET", "function")]);
    let (_shutdown, task) = spawn(three(env));
    let message = ended(task).await.unwrap_err().to_string();
    assert!(
        message.contains("FUNCTION_TARGET=\"function\" names no function"),
        "{message}"
    );
    assert!(message.contains(NAMES), "{message}");
}

// Local: routing by path, or `LIGHT_RUNTIME_HANDLER`.

#[tokio::test]
async fn local_paths_route_and_the_override_picks_one() {
    let local = HttpPlatform::local().unwrap();
    let (shutdown, task) = spawn(three(local.env()));
    assert!(local.wait_ready(WAIT).await);
    let body = json_of(
        &local
            .send(post_json("/orders", r#"{"id":5}"#))
            .await
            .unwrap(),
    );
    assert_eq!(
        (body["function"].as_str(), body["event"]["id"].as_i64()),
        (Some("orders"), Some(5))
    );
    let reply = local.send(post_json("/users/me", "{}")).await.unwrap();
    assert_eq!(
        (reply.status, json_of(&reply)["uri"].as_str()),
        (201, Some("/me"))
    );
    assert_eq!(
        local.send(post_json("/else", "{}")).await.unwrap().status,
        404
    );
    stop_runtime(&shutdown, task).await;

    let local = HttpPlatform::local().unwrap();
    let (shutdown, task) = spawn(three(with(
        local.env(),
        &[("LIGHT_RUNTIME_HANDLER", "users")],
    )));
    assert!(local.wait_ready(WAIT).await);
    let reply = local.send(post_json("/", "{}")).await.unwrap();
    assert_eq!(
        (reply.status, json_of(&reply)["handler"].as_str()),
        (201, Some("users"))
    );
    stop_runtime(&shutdown, task).await;
}

// Hooks, layers and timings name the function.

/// A phase and the function it was told of.
type Seen = (Phase, Option<String>);

/// Records which function each phase was told of, and the final timings.
#[derive(Clone, Default)]
struct Names {
    seen: Arc<Mutex<Vec<Seen>>>,
    timings: Arc<Mutex<Option<TimingsReport>>>,
}

impl Names {
    fn note(&self, phase: Phase, handler: Option<&str>) {
        self.seen
            .lock()
            .unwrap()
            .push((phase, handler.map(str::to_owned)));
    }

    fn at(&self, phase: Phase) -> Vec<Option<String>> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|(p, _)| *p == phase)
            .map(|(_, h)| h.clone())
            .collect()
    }

    async fn wait_for(&self, phase: Phase, count: usize) {
        tokio::time::timeout(WAIT, async {
            while self.at(phase).len() < count {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the phase ran in time");
    }
}

impl Hook for Names {
    fn on_runtime_start(&self, function: &FunctionInfo) -> Result<(), BoxError> {
        self.note(Phase::RuntimeStart, function.handler.as_deref());
        Ok(())
    }

    fn on_function_start<'a>(&'a self, function: &'a FunctionInfo) -> HookFuture<'a> {
        self.note(Phase::FunctionStart, function.handler.as_deref());
        HookFuture::ready(Ok(()))
    }

    fn on_before_invoke(&self, invocation: &mut Invocation) -> Result<Flow, BoxError> {
        self.note(Phase::BeforeInvoke, invocation.context.handler());
        Ok(Flow::Continue)
    }

    fn on_after_invoke(&self, context: &Context, _outcome: &mut Outcome) -> Result<(), BoxError> {
        self.note(Phase::AfterInvoke, context.handler());
        Ok(())
    }

    fn on_after_response<'a>(&'a self, context: &'a Context, _: &'a Outcome) -> HookFuture<'a> {
        self.note(Phase::AfterResponse, context.handler());
        HookFuture::ready(Ok(()))
    }

    fn on_end(&self, ending: &Ending) {
        *self.timings.lock().unwrap() = Some(ending.timings.clone());
    }
}

fn named(names: &[Option<&str>]) -> Vec<Option<String>> {
    names.iter().map(|n| n.map(str::to_owned)).collect()
}

#[tokio::test]
async fn hooks_layers_and_timings_name_the_routed_function() {
    let platform = HttpPlatform::knative().unwrap();
    let names = Names::default();
    let layer_saw = Arc::new(Mutex::new(Vec::new()));
    let saw = layer_saw.clone();
    let builder =
        three(platform.env())
            .hook(names.clone())
            .layer(tower::util::MapRequestLayer::new(
                move |invocation: Invocation| {
                    saw.lock()
                        .unwrap()
                        .push(invocation.context.handler().map(str::to_owned));
                    invocation
                },
            ));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(builder.run_until(shutdown.clone()));
    assert!(platform.wait_ready(WAIT).await);

    assert_eq!(
        platform
            .send(post_json("/orders", "{}"))
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(platform.send(get("/users/1")).await.unwrap().status, 201);
    assert_eq!(platform.send(get("/nobody")).await.unwrap().status, 404);
    names.wait_for(Phase::AfterResponse, 3).await;

    assert_eq!(
        names.at(Phase::RuntimeStart),
        named(&[None]),
        "routed: no one function"
    );
    let expected = named(&[Some("orders"), Some("users"), None]);
    assert_eq!(names.at(Phase::BeforeInvoke), expected);
    assert_eq!(
        names.at(Phase::AfterInvoke),
        expected,
        "the 404 went through the hooks too"
    );
    let mut after_response = names.at(Phase::AfterResponse);
    after_response.sort();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(after_response, sorted, "the adapter's context names it too");
    assert_eq!(
        *layer_saw.lock().unwrap(),
        expected,
        "layers run after routing"
    );

    stop_runtime(&shutdown, task).await;
    let timings = names.timings.lock().unwrap().clone().expect("End ran");
    let invoke = timings.phase(Phase::Invoke);
    for function in ["orders", "users"] {
        let step = invoke
            .step(&format!("function {function}"))
            .unwrap_or_else(|| panic!("no step for {function}: {timings}"));
        assert_eq!(step.count, 1, "{timings}");
    }
    assert!(
        invoke.step("function health").is_none(),
        "not invoked: {timings}"
    );
}

#[tokio::test]
async fn a_named_function_is_known_from_runtime_start() {
    let (names, platform) = (Names::default(), HttpPlatform::knative().unwrap());
    let env = with(platform.env(), &[("FUNCTION_TARGET", "users")]);
    let (shutdown, task) = spawn(three(env).hook(names.clone()));
    assert!(platform.wait_ready(WAIT).await);
    assert_eq!(platform.send(get("/")).await.unwrap().status, 201);
    names.wait_for(Phase::AfterResponse, 1).await;
    stop_runtime(&shutdown, task).await;
    for phase in [
        Phase::RuntimeStart,
        Phase::FunctionStart,
        Phase::BeforeInvoke,
        Phase::AfterInvoke,
        Phase::AfterResponse,
    ] {
        assert_eq!(names.at(phase), named(&[Some("users")]), "{phase:?}");
    }
}

#[tokio::test]
async fn bad_names_in_code_fail_init_with_what_is_wrong() {
    let platform = HttpPlatform::knative().unwrap();
    let builder = Runtime::builder()
        .with_environment(Environment::from_vars(platform.env()))
        .function("orders", orders)
        .function("orders", orders)
        .function("api/v1", users);
    let shutdown = CancellationToken::new();
    let error = ended(tokio::spawn(builder.run_until(shutdown)))
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("`orders` is added twice"), "{message}");
    assert!(message.contains("\"api/v1\" cannot be used"), "{message}");
}

#[tokio::test]
async fn routed_functions_run_at_the_same_time() {
    // Each function waits for the other: served one at a time, neither
    // would ever return.
    let meeting = Arc::new(tokio::sync::Barrier::new(2));
    let meet = |name: &'static str| {
        let meeting = meeting.clone();
        move |_event: Value, _ctx: Context| {
            let meeting = meeting.clone();
            async move {
                tokio::time::timeout(WAIT, meeting.wait())
                    .await
                    .map_err(Error::from)?;
                Ok::<_, Error>(json!({ "met": name }))
            }
        }
    };
    let platform = HttpPlatform::knative().unwrap();
    let builder = Runtime::builder()
        .with_environment(Environment::from_vars(platform.env()))
        .function("left", meet("left"))
        .function("right", meet("right"));
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(builder.run_until(shutdown.clone()));
    assert!(platform.wait_ready(WAIT).await);
    let requests = vec![post_json("/left", "{}"), post_json("/right", "{}")];
    let replies = platform.caller().send_all(requests, 2, WAIT).await;
    let mut met: Vec<_> = replies
        .into_iter()
        .map(|reply| json_of(&reply.expect("a reply"))["met"].clone())
        .collect();
    met.sort_by_key(|v| v.to_string());
    assert_eq!(met, [json!("left"), json!("right")]);
    stop_runtime(&shutdown, task).await;
}
