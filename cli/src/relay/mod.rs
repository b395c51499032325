//! `light-runtime relay --listen ADDR --platform P -- BOOTSTRAP`: real cloud
//! invocations handled by a local build. A function deployed with
//! `LIGHT_RUNTIME_RELAY=http://ADDR` and `LIGHT_RUNTIME_RELAY_SECRET` (the
//! library's relay layer, `light_runtime::layers::relay`) posts each
//! invocation here through a tunnel; this command checks its signature,
//! runs it on BOOTSTRAP under the platform's emulator, prints it, and
//! sends the signed answer back. Guide: `docs/relay.md`; wire:
//! `docs/design/relay.md`.
//!
//! # Layout
//! - `mod.rs`: the options and [`run`].
//! - [`server`]: [`RelayServer`](server::RelayServer), the listener that
//!   checks, runs and answers.
//! - [`local`]: [`LocalFunction`](local::LocalFunction), the bootstrap under
//!   its emulator (an `emulate` session).
//! - [`replay_guard`]: a signed invocation accepted once.

pub mod local;
pub mod replay_guard;
pub mod server;

use std::ffi::OsString;

use light_runtime::layers::relay::signature::Secret;

/// The `relay` subcommand's options.
#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// The address to listen on (the tunnel's local end), e.g. 127.0.0.1:7070.
    #[arg(long)]
    pub listen: std::net::SocketAddr,
    /// The platform the cloud function runs on, whose emulator runs the
    /// local build: aws, fc, scf, scf-web or http.
    #[arg(long)]
    pub platform: crate::emulate::EmulatedPlatform,
    /// The variable holding the shared secret.
    #[arg(long, default_value = "LIGHT_RUNTIME_RELAY_SECRET")]
    pub secret_env: String,
    /// The function's name, as the local build is told it.
    #[arg(long, default_value = "function")]
    pub function: String,
    /// The port of the local build's own invoke endpoint on 127.0.0.1, for
    /// `light-runtime invoke` while relaying (0: any free port, printed).
    #[arg(long, default_value_t = 0)]
    pub invoke_port: u16,
    /// The local build's command and arguments.
    #[arg(last = true, required = true, value_name = "BOOTSTRAP")]
    pub bootstrap: Vec<OsString>,
}

/// Relays until interrupted (SIGINT or SIGTERM), then stops the local build.
pub fn run(args: RelayArgs) -> Result<(), String> {
    let secret = std::env::var(&args.secret_env).map_err(|_| {
        format!(
            "{} is not set: export the secret the cloud function has in \
             LIGHT_RUNTIME_RELAY_SECRET (e.g. `export {}=$(openssl rand -hex 32)`)",
            args.secret_env, args.secret_env
        )
    })?;
    let secret = Secret::new(secret).map_err(|why| format!("{}: {why}", args.secret_env))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
        let local = local::LocalFunction::start(
            args.platform,
            &args.function,
            args.invoke_port,
            args.bootstrap,
        )
        .await?;
        println!(
            "relay: listening on {} for {} invocations; the local build's invoke endpoint is {}",
            listener.local_addr().map_err(|e| e.to_string())?,
            args.platform,
            local.endpoint()
        );
        let server = server::RelayServer::new(secret, local);
        let serving = tokio::spawn(server.clone().serve(listener));
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|error| format!("cannot watch for SIGTERM: {error}"))?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        serving.abort();
        server.local().stop().await;
        Ok(())
    })
}
