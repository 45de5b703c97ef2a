# Sourced by scripts/run-local.sh and scripts/rabbitmq-node.sh: the local node's ports, in one place.

# port_in_use PORT: true when something on 127.0.0.1 accepts a TCP connection on PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# dist_port PORT: the Erlang distribution port of the node whose AMQP port is PORT: 20000 above it, or below it when
# that would pass 65535.
dist_port() { if [ "$1" -le 45535 ]; then echo $(($1 + 20000)); else echo $(($1 - 20000)); fi; }
