// Energy meters, power sampling and attribution, radio models.
export {};
