"""The BBT cross-modal model: a T5 encoder-decoder reading text tokens and DWT-ST2Vec series tokens."""
