//! The local development server (`127.0.0.1:$PORT`).

use light_runtime_testkit::http_platform::HttpPlatform;

use crate::http::{Flavor, Http};

pub(crate) struct Local;

impl Flavor for Local {
    fn platform() -> HttpPlatform {
        HttpPlatform::local().unwrap()
    }
}

crate::conformance!(Http<Local>, concurrent);
