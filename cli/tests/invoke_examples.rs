//! Every shipped example event (`light-runtime invoke --example KIND`) is
//! read by the `events` crate's type for its trigger, and its trigger is
//! detected from its shape: the examples are the platforms' real shapes,
//! not approximations a handler would reject.

use light_runtime_cli::invoke::examples::{find, EXAMPLES};
use light_runtime_events::aws::{eventbridge::EventBridgeEvent, sns::SnsEvent};
use light_runtime_events::http::{Gateway, StageInPath};
use light_runtime_events::messages::{Messages, MessagesOrigin};
use light_runtime_events::object::{ObjectEvents, ObjectOrigin};
use light_runtime_events::timer::{TimerEvent, TimerOrigin};
use light_runtime_events::Trigger;

fn json(kind: &str) -> &'static [u8] {
    find(kind).unwrap().json.as_bytes()
}

fn gateway(kind: &str, expected: Gateway) {
    let event = json(kind);
    assert_eq!(Gateway::detect(event), Some(expected), "{kind}");
    let request = expected
        .request(event, StageInPath::Keep)
        .unwrap_or_else(|error| panic!("{kind}: {error}"));
    assert!(!request.uri().path().is_empty(), "{kind}");
    assert_eq!(Trigger::detect(event), Trigger::HttpGateway, "{kind}");
}

fn objects(kind: &str) -> ObjectEvents {
    serde_json::from_slice(json(kind)).unwrap_or_else(|error| panic!("{kind}: {error}"))
}

fn timer(kind: &str) -> TimerEvent {
    serde_json::from_slice(json(kind)).unwrap_or_else(|error| panic!("{kind}: {error}"))
}

#[test]
fn every_example_is_read_by_the_events_crate_type_of_its_trigger() {
    let mut checked = Vec::new();
    let mut check = |kind: &'static str| checked.push(kind);

    gateway("apigw-rest", Gateway::ApiGatewayRest);
    check("apigw-rest");
    gateway("apigw-http", Gateway::ApiGatewayHttp);
    check("apigw-http");
    gateway(
        "alb",
        Gateway::Alb {
            multi_value_headers: false,
        },
    );
    check("alb");
    gateway("function-url", Gateway::FunctionUrl);
    check("function-url");
    gateway("fc-http", Gateway::FcHttpTrigger);
    check("fc-http");
    gateway("scf-apigw", Gateway::ScfApiGateway);
    check("scf-apigw");

    for (kind, trigger) in [
        ("s3", Trigger::S3),
        ("fc-oss", Trigger::Oss),
        ("scf-cos", Trigger::Cos),
    ] {
        let events = objects(kind);
        assert!(!events.events.is_empty(), "{kind}");
        let origin = events.events[0].origin();
        let matches = match trigger {
            Trigger::S3 => matches!(origin, ObjectOrigin::S3(_)),
            Trigger::Oss => matches!(origin, ObjectOrigin::Oss(_)),
            _ => matches!(origin, ObjectOrigin::Cos(_)),
        };
        assert!(matches, "{kind}: {origin:?}");
        assert!(!events.events[0].bucket.is_empty() && !events.events[0].key.is_empty());
        assert_eq!(Trigger::detect(json(kind)), trigger, "{kind}");
        check(kind);
    }

    let sqs: Messages = serde_json::from_slice(json("sqs")).unwrap();
    assert!(matches!(sqs.origin(), MessagesOrigin::Sqs(_)));
    assert_eq!(Trigger::detect(json("sqs")), Trigger::Sqs);
    check("sqs");

    let sns: SnsEvent = serde_json::from_slice(json("sns")).unwrap();
    assert_eq!(
        sns.records[0].sns.topic_arn,
        "arn:aws:sns:us-east-1:123456789012:orders"
    );
    assert_eq!(Trigger::detect(json("sns")), Trigger::Sns);
    check("sns");

    let custom: EventBridgeEvent = serde_json::from_slice(json("eventbridge")).unwrap();
    assert_eq!(custom.detail_type, "Order Placed");
    assert_eq!(
        Trigger::detect(json("eventbridge")),
        Trigger::EventBridge("Order Placed".into())
    );
    check("eventbridge");

    assert!(matches!(
        timer("schedule").origin(),
        TimerOrigin::EventBridge(_)
    ));
    assert!(Trigger::detect(json("schedule")).is_schedule());
    check("schedule");
    assert!(matches!(timer("fc-timer").origin(), TimerOrigin::Fc(_)));
    assert_eq!(Trigger::detect(json("fc-timer")), Trigger::FcTimer);
    check("fc-timer");
    assert!(matches!(timer("scf-timer").origin(), TimerOrigin::Scf(_)));
    assert_eq!(Trigger::detect(json("scf-timer")), Trigger::ScfTimer);
    check("scf-timer");

    let mut all: Vec<&str> = EXAMPLES.iter().map(|example| example.kind).collect();
    all.sort_unstable();
    checked.sort_unstable();
    assert_eq!(checked, all, "every shipped example is checked here");
}
