"""The network a container backend runs in: the VPC and its subnets (``placement``, ``vpc``) and the
load balancer in front of the service (``load_balancer``)."""
