"""Synthetic, signed webhook traffic with known ground truth.

population.py   one population of people and companies behind every source (and the truth)
shopify.py      Shopify orders, customers, products (webhook bodies)
stripe.py       Stripe customers, charges, payment intents, refunds, disputes, subscriptions (events)
hubspot.py      HubSpot webhook events and the CRM objects they describe
scenarios.py    scenarios over simulated time: lifecycles and delivery faults (`Generator`)
output.py       JSON lines per topic + ground truth (`icefloe datagen`)
signing.py      each provider's signature scheme, sender side
simulator.py    signed deliveries to the ingestion API at a target rate (`icefloe simulate`)
http1.py        the simulator's minimal keep-alive HTTP/1.1 client
"""
