// A team's module, outside rpcbench. A real one requires a released
// rpcbench (go get github.com/rpcbench/rpcbench@latest); the test in
// examples/ci copies this directory to a scratch repository and points
// the requirement at this checkout with a replace directive.
module example.com/team

go 1.26.8

require github.com/rpcbench/rpcbench v0.0.0
