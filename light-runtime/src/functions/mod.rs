//! Several functions in one binary:
//! `Runtime::builder().function("orders", orders).function("users", users).run()`.
//!
//! Each function is any [`Handler`]: an event function, an HTTP function,
//! a tower service. Which one serves comes from the deployment, not the
//! code, so the same binary can be deployed once per function (each
//! deployment naming its own) or once for all of them, routed by path
//! ("horizontal aggregation"). The rules are in [`selection`]; routing by
//! path is in `routing`. `docs/functions.md` has them per platform.
//!
//! Hooks and layers wrap every function: there is one lifecycle, one hook
//! list and one layer stack per process. The function's name is in the
//! lifecycle: [`FunctionInfo::handler`] when the deployment named one (seen
//! at `RuntimeStart` and `FunctionStart`), and [`Context::handler`] for
//! every invocation (seen by `BeforeInvoke`, `AfterInvoke`,
//! `AfterResponse`, layers and the function itself); the timings show each
//! function's time under `Invoke` as a step `function <name>`.
//!
//! # Layout
//! - this file: [`Functions`], the functions by name, and what the builder
//!   makes of them.
//! - [`selection`]: which function serves, from the deployment's settings.
//! - `routing`: `Route`, naming each invocation's function before the
//!   layers and hooks see it, and `Dispatch`, calling it.
//!
//! [`Context::handler`]: runtime_engine::Context::handler

mod routing;
pub mod selection;

use std::sync::Arc;

use runtime_engine::{
    BoxError, Environment, FunctionInfo, Hook, Invocation, InvocationError, Lifecycle, Platform,
    Response,
};
use tower::util::BoxCloneService;
use tower::ServiceExt;

use crate::handler::Handler;
pub use routing::Dispatch;
pub(crate) use routing::Route;
use selection::Selection;

/// A function of the binary with its type erased, so that functions of
/// every kind sit in one list.
pub(crate) type FunctionService = BoxCloneService<Invocation, Response, InvocationError>;

/// The builder's state before any [`function`](crate::RuntimeBuilder::function)
/// is added: `run(handler)` serves one function.
#[derive(Debug, Clone, Copy, Default)]
pub struct SingleFunction;

/// The functions of a several-function binary, by name, in the order
/// added: the builder's state after
/// [`function`](crate::RuntimeBuilder::function); `run()` serves them.
pub struct Functions {
    functions: Vec<(Arc<str>, FunctionService)>,
    /// What was wrong with the names added, reported as an init error.
    problems: Vec<String>,
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.functions.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Functions {
    pub(crate) fn new() -> Self {
        Functions {
            functions: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Adds `handler` as function `name`. A name must be usable as a path
    /// segment and a handler setting: ASCII letters, digits, `-`, `_`, `.`;
    /// a bad or repeated name is kept as a problem and fails `RuntimeStart`.
    pub(crate) fn add<H, M>(&mut self, name: &str, handler: H)
    where
        H: Handler<M>,
        H::Error: 'static,
    {
        if let Some(problem) = name_problem(name, &self.functions) {
            self.problems.push(problem);
            return;
        }
        let service = handler.into_service().map_err(Into::into);
        self.functions
            .push((Arc::from(name), BoxCloneService::new(service)));
    }

    /// The names, in the order added.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.functions.iter().map(|(name, _)| &**name)
    }

    /// Picks the function (or routing) the deployment asks for on
    /// `platform`: the handler the function's facts name, the hook that
    /// fails `RuntimeStart` when the deployment names no function the
    /// binary has or a name is unusable (so the platform hears of it as of
    /// any init failure), and what the pipeline is made from.
    pub(crate) fn select(self, platform: Platform, env: &Environment) -> Selected {
        let names: Arc<[Arc<str>]> = self.functions.iter().map(|(n, _)| n.clone()).collect();
        let mut problems = self.problems;
        // With a problem, the pipeline is still built, and never called:
        // `RuntimeStart` fails first.
        let selection = if problems.is_empty() {
            selection::select(platform, env, &names).unwrap_or_else(|problem| {
                problems.push(problem);
                Selection::ByPath
            })
        } else {
            Selection::ByPath
        };
        let failure = (!problems.is_empty()).then(|| CannotServe(problems.join("; ")));
        Selected {
            handler: match &selection {
                Selection::One(name) if failure.is_none() => Some(name.clone()),
                _ => None,
            },
            failure,
            selection,
            names,
            functions: self.functions,
        }
    }
}

fn name_problem(name: &str, functions: &[(Arc<str>, FunctionService)]) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || !name.chars().all(allowed) {
        Some(format!(
            "function name {name:?} cannot be used: a name is one path segment and a handler \
             setting, made of ASCII letters, digits, `-`, `_` and `.`"
        ))
    } else if functions.iter().any(|(known, _)| **known == *name) {
        Some(format!(
            "function name `{name}` is added twice; each name serves one function"
        ))
    } else {
        None
    }
}

/// What the builder makes of [`Functions`] once the platform is known.
pub(crate) struct Selected {
    /// The function the deployment named, for [`FunctionInfo::handler`].
    pub(crate) handler: Option<Arc<str>>,
    /// Fails `RuntimeStart` with why no function can serve.
    pub(crate) failure: Option<CannotServe>,
    selection: Selection,
    names: Arc<[Arc<str>]>,
    functions: Vec<(Arc<str>, FunctionService)>,
}

impl Selected {
    /// The pipeline: `Dispatch` calling the functions, wrapped by `wrap`
    /// (the hooks and layers), behind `Route`.
    pub(crate) fn pipeline<S>(
        self,
        lifecycle: &Arc<Lifecycle>,
        wrap: impl FnOnce(Dispatch) -> S,
    ) -> Route<S> {
        let dispatch = Dispatch::new(self.functions, lifecycle.clone());
        Route::new(wrap(dispatch), self.selection, self.names)
    }

    /// The function's facts with the handler the deployment named.
    pub(crate) fn describe(&self, function: FunctionInfo) -> FunctionInfo {
        match &self.handler {
            Some(name) => function.with_handler(Some(name.clone())),
            None => function,
        }
    }
}

/// Fails `RuntimeStart` with why the binary's functions cannot serve:
/// the deployment names none it has, or a name added in code is unusable.
#[derive(Debug)]
pub(crate) struct CannotServe(String);

impl Hook for CannotServe {
    fn name(&self) -> &str {
        "functions"
    }

    fn on_runtime_start(&self, _function: &FunctionInfo) -> Result<(), BoxError> {
        Err(self.0.clone().into())
    }
}

// `docs/functions.md`'s example compiles as a doctest, so the guide cannot
// drift from the builder.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/functions.md")]
struct FunctionsGuide;

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo(
        event: serde_json::Value,
        _ctx: runtime_engine::Context,
    ) -> Result<serde_json::Value, crate::Error> {
        Ok(event)
    }

    #[test]
    fn bad_and_repeated_names_are_problems_that_fail_runtime_start() {
        let mut functions = Functions::new();
        functions.add("orders", echo);
        functions.add("orders", echo);
        functions.add("a/b", echo);
        functions.add("users", echo);
        assert_eq!(functions.names().collect::<Vec<_>>(), ["orders", "users"]);
        let selected = functions.select(Platform::Local, &Environment::from_vars([("A", "b")]));
        let failure = selected.failure.expect("a failure");
        let message = failure.0;
        assert!(message.contains("`orders` is added twice"), "{message}");
        assert!(message.contains("\"a/b\" cannot be used"), "{message}");
        assert!(selected.handler.is_none());
    }

    #[test]
    fn a_named_function_is_in_the_function_facts() {
        let mut functions = Functions::new();
        functions.add("orders", echo);
        functions.add("users", echo);
        let env = Environment::from_vars([("FUNCTION_TARGET", "users")]);
        let selected = functions.select(Platform::Http, &env);
        assert!(selected.failure.is_none());
        let info = selected.describe(FunctionInfo::new(Platform::Http, "svc"));
        assert_eq!(info.handler.as_deref(), Some("users"));
    }
}
