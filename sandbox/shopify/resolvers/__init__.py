"""GraphQL resolvers for the parts of the Admin API iSmartSync uses; importing this package registers them."""

from sandbox.shopify.resolvers import (  # noqa: F401
    bulk_fields,
    catalog,
    customers,
    fulfillment,
    inventory,
    inventory_admin,
    inventory_mutations,
    order_mutations,
    orders,
    shop,
    webhook_subscriptions,
)
