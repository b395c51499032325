//! [`RequestContext`]: what the gateway knew about a request beyond its
//! method, URI, headers and body, kept as a request extension.

use std::collections::HashMap;

use aws_lambda_events::alb::AlbTargetGroupRequestContext;
use aws_lambda_events::apigw::{ApiGatewayProxyRequestContext, ApiGatewayV2httpRequestContext};
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequestContext;

use super::aliyun_fc::FcRequestContext;
use super::tencent_scf::ScfRequestContext;
use super::Gateway;

/// The gateway's facts about a request: who called (source IP, authorizer
/// claims), the gateway's request id, the stage and the route's path
/// parameters, with the gateway's own typed context in
/// [`original`](Self::original).
///
/// Every request converted from a gateway event carries one in its
/// extensions: `request.extensions().get::<RequestContext>()`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestContext {
    /// The gateway that sent the request.
    pub gateway: Gateway,
    /// The gateway's id for the request (not the function invocation's).
    pub request_id: Option<String>,
    /// The client's IP address as the gateway saw it.
    pub source_ip: Option<String>,
    /// The API stage (`prod`, `$default`; SCF `release`), where there is one.
    pub stage: Option<String>,
    /// The route's path parameters (`{id}` in `/orders/{id}`), where the
    /// gateway matched a route.
    pub path_parameters: HashMap<String, String>,
    /// The stage variables (API Gateway REST and HTTP APIs).
    pub stage_variables: HashMap<String, String>,
    /// What the authorizer established: a JWT authorizer's claims, a
    /// Cognito user pool's `claims`, or a Lambda authorizer's context;
    /// empty when no authorizer ran.
    pub claims: HashMap<String, serde_json::Value>,
    /// The gateway's own request context, typed.
    pub original: OriginalContext,
}

/// A [`RequestContext`] being filled in, before the gateway's typed
/// context is moved into it.
pub(crate) struct Partial {
    pub(crate) gateway: Gateway,
    pub(crate) request_id: Option<String>,
    pub(crate) source_ip: Option<String>,
    pub(crate) stage: Option<String>,
    pub(crate) path_parameters: HashMap<String, String>,
    pub(crate) stage_variables: HashMap<String, String>,
    pub(crate) claims: HashMap<String, serde_json::Value>,
}

impl Partial {
    /// Starts a context for `gateway`; [`with_original`](Self::with_original) ends it.
    pub(crate) fn new(gateway: Gateway) -> Self {
        Partial {
            gateway,
            request_id: None,
            source_ip: None,
            stage: None,
            path_parameters: HashMap::new(),
            stage_variables: HashMap::new(),
            claims: HashMap::new(),
        }
    }

    pub(crate) fn with_original(self, original: OriginalContext) -> RequestContext {
        RequestContext {
            gateway: self.gateway,
            request_id: self.request_id,
            source_ip: self.source_ip,
            stage: self.stage,
            path_parameters: self.path_parameters,
            stage_variables: self.stage_variables,
            claims: self.claims,
            original,
        }
    }
}

/// The gateway's request context as it sent it: `aws_lambda_events` types
/// for AWS, this crate's for FC and SCF.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OriginalContext {
    /// API Gateway REST API.
    ApiGatewayRest(Box<ApiGatewayProxyRequestContext>),
    /// API Gateway HTTP API.
    ApiGatewayHttp(Box<ApiGatewayV2httpRequestContext>),
    /// Application Load Balancer.
    Alb(Box<AlbTargetGroupRequestContext>),
    /// Lambda function URL.
    FunctionUrl(Box<LambdaFunctionUrlRequestContext>),
    /// Alibaba Cloud FC HTTP trigger.
    FcHttpTrigger(Box<FcRequestContext>),
    /// Tencent Cloud API Gateway trigger.
    ScfApiGateway(Box<ScfRequestContext>),
}

impl RequestContext {
    /// One claim of the authorizer's, as a string when it is one.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name)?.as_str()
    }
}
