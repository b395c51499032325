# The body every start script of a light-runtime layer shares. The packager
# writes the lines above it: the script's name, the mode (proxy or web),
# how far the layer's root is from the script, the function's code folder
# and the variable that may hold the function's command.

# The layer's root: the folder whose light-runtime.toml names the plugins.
# A function variable may point elsewhere; otherwise the script's own place
# says where the platform extracted the layer, so it works outside /opt too.
if [ -n "${LIGHT_RUNTIME_LAYER_DIR:-}" ]; then
  layer=$LIGHT_RUNTIME_LAYER_DIR
else
  script_dir=$(dirname "$0")
  layer=$(CDPATH='' cd "$script_dir/$layer_up" && pwd) || {
    echo "$name: cannot find the layer's folder from $0" >&2
    exit 127
  }
  LIGHT_RUNTIME_LAYER_DIR=$layer
  export LIGHT_RUNTIME_LAYER_DIR
fi

runtime=$layer/bin/light-runtime
if [ ! -f "$runtime" ] || [ ! -x "$runtime" ]; then
  echo "$name: $runtime is missing or not executable: the layer is incomplete (package it again with light-runtime package --mode $mode), or LIGHT_RUNTIME_LAYER_DIR=$layer names the wrong folder" >&2
  exit 127
fi

# Each `exec` replaces this shell, so the platform's signals (SIGTERM at
# shutdown) reach light-runtime, which forwards them to the function.

# 1. The command as arguments: Lambda's managed-runtime bootstrap for an
#    exec wrapper, FC's customRuntimeConfig.args, an SCF bootstrap's words.
if [ "$#" -gt 0 ]; then
  case $1 in
    */*)
      if [ ! -f "$1" ] || [ ! -x "$1" ]; then
        echo "$name: the function's command $1 is missing or not executable" >&2
        exit 127
      fi
      ;;
    *)
      if ! command -v "$1" >/dev/null 2>&1; then
        echo "$name: the function's command $1 is not on PATH (${PATH:-unset})" >&2
        exit 127
      fi
      ;;
  esac
  exec "$runtime" "$mode" -- "$@"
fi

# 2. A shell command line in a function variable.
if [ -n "$command_line" ]; then
  exec "$runtime" "$mode" -- /bin/sh -c "exec $command_line"
fi

# 3. run.sh in the function's code.
if [ -f "$code_dir/run.sh" ]; then
  if [ ! -x "$code_dir/run.sh" ]; then
    echo "$name: $code_dir/run.sh is not executable (chmod 755 it before zipping the function)" >&2
    exit 126
  fi
  exec "$runtime" "$mode" -- "$code_dir/run.sh"
fi

echo "$name: no function command to start: give it as arguments, set $command_variable to a command line, or add an executable run.sh to $code_dir" >&2
exit 127
