"""Personal data: what is stored about a person, taking it out, erasing it, retention."""
