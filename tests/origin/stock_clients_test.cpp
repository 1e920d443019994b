// Placeholder: stock BitTorrent and tus clients against the origin (being written).
