//! The text of a start script: a few lines naming its layout, then the body
//! all start scripts share (`start.sh`, POSIX sh).
//!
//! The body is one file rather than one text per platform so that every
//! script fails the same way, with the same messages, and `sh -n` on the
//! file checks them all.

use super::layout::{Layout, StartScript};

/// What every start script does after its header.
const BODY: &str = include_str!("start.sh");

/// The script `script` of `layout`; `None` in plugins mode.
pub(crate) fn render(layout: &Layout, script: &StartScript) -> Option<String> {
    let mode = layout.mode.subcommand()?;
    let command_variable = layout.mode.command_variable()?;
    let name = script.path.rsplit('/').next().unwrap_or(script.path);
    // Scripts in `bin/` find the layer's root one folder up.
    let layer_up = if script.path.contains('/') { ".." } else { "." };
    let (code_variable, code_default) = layout.code_dir;
    let platform = layout.platform;
    let wiring = script.wiring;
    Some(format!(
        "#!/bin/sh\n\
         # {name}: starts `light-runtime {mode}` around the function's own command,\n\
         # with the plugins and light-runtime.toml of this layer ({platform}).\n\
         # Written by `light-runtime package --mode {mode}`: package the layer\n\
         # again rather than editing it, so every layer stays alike.\n\
         # Use: {wiring}.\n\
         set -eu\n\
         name={name}\n\
         mode={mode}\n\
         layer_up={layer_up}\n\
         code_dir=${{{code_variable}:-{code_default}}}\n\
         command_variable={command_variable}\n\
         command_line=${{{command_variable}:-}}\n\
         \n\
         {BODY}"
    ))
}
