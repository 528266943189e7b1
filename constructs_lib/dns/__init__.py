"""DNS: the hosted zone a project's names live in (``hosted_zone``), the rules for those names (``names``)."""
