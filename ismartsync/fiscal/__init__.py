"""FBR fiscal reporting: the only place that builds or sends IMS POS requests."""
