"""The EcomGPT paper's findings measured with this platform: `ecomgpt findings`."""
