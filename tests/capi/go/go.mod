module rootfsctl.test/proof

go 1.19
