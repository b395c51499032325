//! Which function serves: read once, at start, from the deployment.
//!
//! The rules, in order (the first that applies wins):
//! 1. `LIGHT_RUNTIME_HANDLER`, on any platform: a name, or `*` for routing
//!    by path.
//! 2. The platform's own handler setting: AWS `_HANDLER`, FC
//!    `FC_FUNCTION_HANDLER` (FC 3.0), SCF `_HANDLER`, plain HTTP
//!    `FUNCTION_TARGET`; a name, or `*` for routing by path. FC 2.0 sets no
//!    variable: its `x-fc-function-handler` header decides per request.
//! 3. Nothing named: a binary with one function serves it; with several,
//!    FC 2.0 reads each request's header, the other push platforms and
//!    local route by path, and pull platforms (AWS, SCF event functions),
//!    which have no path, fail to start.
//!
//! A name the binary does not have is an init error listing the names it
//! has: a typo must not quietly fall back to routing by path.

use std::sync::Arc;

use runtime_engine::{Environment, Platform};

/// Names the function to serve on every platform, ahead of the platform's
/// own setting; `*` routes by path.
pub const HANDLER_VAR: &str = "LIGHT_RUNTIME_HANDLER";

/// The handler value that asks for routing by path.
pub(crate) const BY_PATH: &str = "*";

/// The header FC sends with the function's handler setting on every
/// request (reference 2.7: "configured handler (meaningless for custom
/// runtime)", in the FC 2.0 spec table and the FC 3.0 context page).
pub(crate) const FC_HANDLER_HEADER: &str = "x-fc-function-handler";

/// How invocations find their function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// The deployment named this function; it serves every invocation.
    One(Arc<str>),
    /// Each HTTP request's first path segment names its function.
    ByPath,
    /// FC without `FC_FUNCTION_HANDLER` (FC 2.0): each request's
    /// `x-fc-function-handler` names the function, and `*` or no header
    /// routes by path.
    FcHeader,
}

/// Where a platform keeps its handler setting, and whether it can route by
/// path (it pushes HTTP requests).
struct HandlerSetting {
    var: Option<&'static str>,
    has_paths: bool,
}

fn setting(platform: Platform, env: &Environment) -> HandlerSetting {
    match platform {
        Platform::AwsLambda => HandlerSetting {
            var: Some("_HANDLER"),
            has_paths: false,
        },
        // `FC_FUNCTION_HANDLER` is documented for FC 3.0 (reference 2.10);
        // FC 2.0 documents no such variable, only the header.
        Platform::AliyunFc => HandlerSetting {
            var: Some("FC_FUNCTION_HANDLER"),
            has_paths: true,
        },
        // `_HANDLER` is documented for event functions (reference 3.3);
        // whether SCF sets it for web functions is unconfirmed, so web
        // functions read it too, and `LIGHT_RUNTIME_HANDLER=*` overrides.
        // `SCF_FUNCTIONHANDLER` is not in the reference, and is not read.
        // Event functions pull from `SCF_RUNTIME_API`; web functions are
        // HTTP servers.
        Platform::TencentScf => HandlerSetting {
            var: Some("_HANDLER"),
            has_paths: env.get("SCF_RUNTIME_API").is_none(),
        },
        // The Functions Framework's target (reference 4.1).
        Platform::Http => HandlerSetting {
            var: Some("FUNCTION_TARGET"),
            has_paths: true,
        },
        _ => HandlerSetting {
            var: None,
            has_paths: true,
        },
    }
}

/// Applies the rules of the [module docs](self) to a binary holding
/// `names`; the error says what was named, where, and what to set.
pub(crate) fn select(
    platform: Platform,
    env: &Environment,
    names: &[Arc<str>],
) -> Result<Selection, String> {
    let setting = setting(platform, env);
    let named = std::iter::once(HANDLER_VAR)
        .chain(setting.var)
        .find_map(|var| {
            let value = env.get(var)?;
            let value = value.trim();
            (!value.is_empty()).then(|| (var, value.to_owned()))
        });
    match named {
        Some((var, value)) if value == BY_PATH => {
            if setting.has_paths {
                Ok(Selection::ByPath)
            } else {
                Err(format!(
                    "{var}=* asks to route requests by path, but on {platform} every \
                     invocation is an event with no path; set {var} to one of {} and deploy \
                     one function per name",
                    list(names)
                ))
            }
        }
        Some((var, value)) => match names.iter().find(|name| ***name == *value) {
            Some(name) => Ok(Selection::One(name.clone())),
            None => Err(format!(
                "{var}={value:?} names no function in this binary; it has {}. Set {var} to \
                 one of them{}",
                list(names),
                if setting.has_paths {
                    ", or to `*` to route requests by path (`/<name>/...`)"
                } else {
                    ""
                }
            )),
        },
        None if names.len() == 1 => Ok(Selection::One(names[0].clone())),
        None if platform == Platform::AliyunFc => Ok(Selection::FcHeader),
        None if setting.has_paths => Ok(Selection::ByPath),
        None => Err(format!(
            "this binary holds several functions ({}) and the deployment names none; set {} \
             (or {HANDLER_VAR}) to the one this function serves",
            list(names),
            setting.var.unwrap_or(HANDLER_VAR)
        )),
    }
}

/// `` `orders`, `users` ``.
pub(crate) fn list(names: &[Arc<str>]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<Arc<str>> {
        vec![Arc::from("orders"), Arc::from("users")]
    }

    fn pick(platform: Platform, vars: &[(&str, &str)]) -> Result<Selection, String> {
        select(
            platform,
            &Environment::from_vars(vars.iter().copied()),
            &names(),
        )
    }

    #[test]
    fn each_platform_reads_its_own_setting() {
        let orders = Ok(Selection::One(Arc::from("orders")));
        assert_eq!(pick(Platform::AwsLambda, &[("_HANDLER", "orders")]), orders);
        assert_eq!(
            pick(Platform::AliyunFc, &[("FC_FUNCTION_HANDLER", "orders")]),
            orders
        );
        assert_eq!(
            pick(
                Platform::TencentScf,
                &[("_HANDLER", "orders"), ("SCF_RUNTIME_API", "127.0.0.1")]
            ),
            orders
        );
        assert_eq!(
            pick(Platform::Http, &[("FUNCTION_TARGET", " orders ")]),
            orders
        );
        assert_eq!(
            pick(Platform::Http, &[("_HANDLER", "orders")]),
            Ok(Selection::ByPath),
            "another platform's variable is not read"
        );
    }

    #[test]
    fn the_override_wins_and_star_routes_by_path() {
        assert_eq!(
            pick(
                Platform::Http,
                &[(HANDLER_VAR, "users"), ("FUNCTION_TARGET", "orders")]
            ),
            Ok(Selection::One(Arc::from("users")))
        );
        assert_eq!(
            pick(Platform::AliyunFc, &[("FC_FUNCTION_HANDLER", "*")]),
            Ok(Selection::ByPath)
        );
        assert_eq!(
            pick(Platform::Local, &[(HANDLER_VAR, "orders")]),
            Ok(Selection::One(Arc::from("orders")))
        );
    }

    #[test]
    fn nothing_named_routes_by_path_where_there_are_paths() {
        assert_eq!(pick(Platform::Local, &[]), Ok(Selection::ByPath));
        assert_eq!(pick(Platform::Http, &[]), Ok(Selection::ByPath));
        assert_eq!(
            pick(Platform::TencentScf, &[("_HANDLER", "")]),
            Ok(Selection::ByPath),
            "an empty variable names nothing; SCF web functions have paths"
        );
        assert_eq!(pick(Platform::AliyunFc, &[]), Ok(Selection::FcHeader));
        let one = [Arc::from("orders")];
        assert_eq!(
            select(
                Platform::AwsLambda,
                &Environment::from_vars([("A", "b")]),
                &one
            ),
            Ok(Selection::One(Arc::from("orders"))),
            "a lone function needs no name"
        );
    }

    #[test]
    fn unknown_names_and_impossible_routing_say_what_to_set() {
        let error = pick(Platform::AwsLambda, &[("_HANDLER", "bootstrap")]).unwrap_err();
        assert!(
            error.contains("_HANDLER=\"bootstrap\" names no function in this binary"),
            "{error}"
        );
        assert!(error.contains("`orders`, `users`"), "{error}");
        assert!(
            !error.contains('*'),
            "no path routing offered on AWS: {error}"
        );
        let error = pick(
            Platform::AliyunFc,
            &[("FC_FUNCTION_HANDLER", "index.handler")],
        )
        .unwrap_err();
        assert!(
            error.contains("or to `*` to route requests by path"),
            "{error}"
        );
        let error = pick(Platform::AwsLambda, &[]).unwrap_err();
        assert!(error.contains("set _HANDLER"), "{error}");
        let error = pick(Platform::AwsLambda, &[(HANDLER_VAR, "*")]).unwrap_err();
        assert!(error.contains("no path"), "{error}");
        let error = pick(
            Platform::TencentScf,
            &[("SCF_RUNTIME_API", "127.0.0.1"), ("_HANDLER", "*")],
        )
        .unwrap_err();
        assert!(error.contains("_HANDLER=* asks to route"), "{error}");
    }
}
