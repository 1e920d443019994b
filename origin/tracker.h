#pragma once
// The origin's BitTorrent tracker (being written).
