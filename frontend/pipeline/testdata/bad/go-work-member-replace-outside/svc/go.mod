module example.com/svc

go 1.24

replace example.com/lib => ../../lib
