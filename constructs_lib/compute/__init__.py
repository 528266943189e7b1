"""What runs the web app: the web-service interface, its backends and the image repository they pull from.

``app_runner_service`` (App Runner), ``app_runner_domain`` (its custom domains), ``ecr_repo`` (the
image repository).
"""
