"""What runs the web app: the web-service interface, its backends and the image repository they pull from.

``web_service`` (the ``WebService`` protocol and ``Compute``), App Runner (``app_runner_service``,
``app_runner_domain``), ECS on Fargate (``fargate_service`` with ``fargate_task``, ``fargate_scaling``
and ``fargate_sizes``; ``fargate_domain``), and ``ecr_repo`` (the image repository).
"""
