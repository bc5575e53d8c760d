"""Online orders (Shopify orders) at the branches: `intake` keeps what Shopify says of an order, `cod` tells cash on
delivery from the gateway names, `sync` holds the incremental sync's cursor, `listing` finds a branch's orders."""
