// CycleGAN module.
